"""Demo data (``omd-gov demo``): the city's cooperation with EFACEC, Porto
Digital and the Porto Energy Agency, with agreements in every state."""
