"""The write side: archive files -> articles -> paragraph documents -> a Whoosh index.

Nothing here imports from `search/`; the read side imports the schema and settings from here.
"""
