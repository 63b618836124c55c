"""The web layer: the Bottle app (JSON API and page), its templates and static files, the OpenAPI
description, and the servers that run it. Talks only to `search.service`'s facade."""
