"""One construct per component of wagate's AWS deployment."""
