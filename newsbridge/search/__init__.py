"""Search text, the same at index and at query time: words, stems per language, queries, snippets.

Pure functions over text (no database): ``items`` stores each version's stems with it and
``items.search`` and ``desk.search`` query them.
"""
