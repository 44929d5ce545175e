"""The local event source mappings: streams polled, batched and delivered to functions as Lambda
does it (mapping.py says which module holds which concept)."""
