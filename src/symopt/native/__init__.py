"""A model as a function you call from Python: compiled C loaded with ctypes, or the generated
Python/NumPy module, behind one calling convention (see docs/python.md)."""
