"""lmickg: a knowledge-graph metadata catalog for Canadian labour market information."""

__version__ = "0.1.0"
