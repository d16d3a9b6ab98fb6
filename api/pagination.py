"""Cursor pagination: stable under inserts, constant cost per page (no COUNT, no OFFSET scan)."""

from rest_framework.pagination import CursorPagination


class RegistryCursorPagination(CursorPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("id",)
