"""The engine: a validated request over one generation's index and columns -> ranked matches,
exact counts and snippets. Whoosh's readers are used here (through `index/store/`), nowhere
above; imports neither `search.service` nor `search.web`."""
