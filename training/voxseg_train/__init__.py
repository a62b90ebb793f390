"""Training pipeline for voxseg's bundled models (PyTorch, CPU is enough)."""
