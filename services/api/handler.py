"""The API function's Lambda entry (serverless.yml: services/api/handler.handle) and, as `app`,
its WSGI application for `listmgr up`; what it does is services/api/function.py, wired by
shared/bootstrap.py."""

from shared import collector

with collector.importing():
    from services.api import function
    from shared import bootstrap

handle = bootstrap.lambda_handler(function.handler)
app = handle.wsgi
