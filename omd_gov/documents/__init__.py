"""Agreement documents: generated, frozen and verifiable."""
