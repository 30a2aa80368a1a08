"""The Go runtime model (issue: goroutines run). Empty until the scheduler lands."""
