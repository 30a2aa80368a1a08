"""`goemu debug`: a shell that runs a program instruction by instruction, forward and back."""
