"""The API's own description: a truthful OpenAPI document and offline /docs and /redoc."""
