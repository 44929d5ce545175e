"""The trigger's Lambda entry (serverless.yml: services/trigger/handler.handle); what it does is
services/trigger/function.py, wired by shared/bootstrap.py."""

from shared import collector

with collector.importing():
    from services.trigger import function
    from shared import bootstrap

handle = bootstrap.lambda_handler(function.handler)
