"""NIJA bounded modules. Each sub-package is one module; `kernel` is the shared runtime."""
