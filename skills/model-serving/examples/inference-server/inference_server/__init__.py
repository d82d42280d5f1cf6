"""A model server for the course's own small models: batching, streaming, an OpenAI-style API."""
