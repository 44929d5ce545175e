"""The listener's Lambda entry (serverless.yml: services/listener/handler.handle); what it does is
services/listener/function.py, wired by shared/bootstrap.py."""

from shared import collector

with collector.importing():
    from services.listener import function
    from shared import bootstrap

handle = bootstrap.lambda_handler(function.handler)
