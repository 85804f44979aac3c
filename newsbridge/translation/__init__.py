"""Machine translation of items: backends behind one protocol (backends.py), the organization's
glossary of names and terms kept through translation (glossary.py) and translations cached per
item version, language and organization (service.py). The hub is fully useful without a
translator: nothing here runs unless ``NEWSBRIDGE_TRANSLATOR_URL`` is set."""
