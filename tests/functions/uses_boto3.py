"""Imports boto3 as a Lambda function would and reports what it sees."""
import os

import boto3


def handler(event, context):
    session = boto3.session.Session()
    creds = session.get_credentials()
    client = session.client("sqs")
    return {
        "boto3": boto3.__version__,
        "access_key": creds.access_key,
        "secret_key": creds.secret_key,
        "token": creds.token,
        "method": creds.method,
        "endpoint": client.meta.endpoint_url,
        "region": client.meta.region_name,
        "config_file": os.environ.get("AWS_CONFIG_FILE"),
    }
