"""JSON message bodies, shared by intake, store and workers: parsing, the streaming walk, the filters' shape."""
