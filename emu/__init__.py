"""The machine and the front ends: the command line now; the emulated CPUs as the runtime lands."""
