"""Pure markup builders: plain data and a language in, Dash components out."""
