"""The service between the web and the engine: parameters checked once, the serving generation
held and switched, and the facade (`SearchService`) that every door calls. Never sees a Whoosh
object; never imports `search.web`."""
