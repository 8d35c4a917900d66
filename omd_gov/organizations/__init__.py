"""Organisations: the city, public bodies, companies, research centres and NGOs."""
