"""Server-side sessions in a __Host- cookie, session fixation prevented, CSRF defended."""
