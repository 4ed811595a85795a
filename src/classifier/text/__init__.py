"""From entries and their linked documents to the sentences the model reads."""
