"""Tools that write data files: quote offsets (make locate), spaCy annotations (make annotations)."""
