"""gunicorn's settings when run from this directory (`gunicorn chirpworks.wsgi`).

The access log writes the path without its query string (`%(U)s`, not `%(r)s` or `%(q)s`): query
strings carry secrets (`?key=` of the Exotel webhook) and phone numbers.
"""

access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s" %(L)s'
