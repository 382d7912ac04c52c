"""Primitives as data: elementary selections with sympy pieces and closed conditions."""

from .core import EQ, GE, LE, Piece, Primitive, piece
from .table import (PRIMITIVES, affine_primitive, clip_primitive, const_primitive, lookup,
                    SortPrimitive, explicit_sort_primitive, max_primitive, min_primitive,
                    pow_primitive, sort_primitive, where_primitive)

__all__ = ["EQ", "GE", "LE", "PRIMITIVES", "Piece", "Primitive", "affine_primitive",
           "clip_primitive", "const_primitive", "lookup", "max_primitive", "min_primitive",
           "piece", "pow_primitive", "sort_primitive", "where_primitive", "SortPrimitive",
           "explicit_sort_primitive"]
