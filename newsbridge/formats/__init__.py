"""Pure parsers and serializers: bytes in, Item out (and back). No I/O, no database."""
