"""The admin function's Lambda entry (serverless.yml: services/admin/handler.handle); what it does
is services/admin/function.py, wired by shared/bootstrap.py."""

from shared import collector

with collector.importing():
    from services.admin import function
    from shared import bootstrap

handle = bootstrap.lambda_handler(function.handler)
