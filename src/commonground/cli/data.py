"""`commonground import` and `commonground export`: placeholder replaced by the data module."""
