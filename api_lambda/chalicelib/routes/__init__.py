"""The API's routes, one Blueprint per resource."""
