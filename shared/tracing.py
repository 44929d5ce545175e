"""X-Ray tracing of the AWS SDK and MySQL calls, switched on inside Lambda only.

Lambda's active tracing opens the segment; patching boto3 and pymysql records a subsegment for
every DynamoDB, Kinesis, SQS and MySQL call, as the original sample does. Outside Lambda (tests,
the local stack) there is no daemon and no segment, so nothing is patched.
"""

import os

ALL_CALLS = ("boto3", "botocore", "pymysql")


def trace_calls(libraries: tuple[str, ...] = ALL_CALLS) -> bool:
    """Patches `libraries` for X-Ray. Patching imports each one: a function that never uses one
    (the trigger and pymysql) leaves it out, or it would pay for the import on every cold start."""
    if not os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or os.environ.get("LISTMGR_TRACING", "on") == "off":
        return False
    from aws_xray_sdk.core import patch, xray_recorder  # noqa: PLC0415 - only Lambda pays the import

    xray_recorder.configure(context_missing="LOG_ERROR")
    patch(list(libraries))
    return True
