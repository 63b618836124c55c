"""The on-disk format of an index generation, written by the build and read by `search/`: the
schema and field names, generations and their manifest, the column files and the posting store,
and the one adapter to Whoosh's private API. Nothing else in the project opens these files,
but for Whoosh's own index, which `index/build.py` and `search/engine/run.py` open by its public API."""
