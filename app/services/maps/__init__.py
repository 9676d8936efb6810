"""Maps: the program's own base map and street list, and address search on it."""
