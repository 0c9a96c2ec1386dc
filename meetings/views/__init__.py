"""The meetings app's pages: public.py, series.py (the coordinators' area and series) and
manage.py (a meeting's coordinators' pages). The calendar feeds are in meetings/feeds.py."""
