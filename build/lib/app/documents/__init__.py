"""PDF templates and the renderer: data in, bytes out, no database."""
