"""The resource types the engine supports: one ``Handler`` per CloudFormation type."""

from __future__ import annotations

from . import resources as r
from .apigateway import handlers as api_handlers


def _handlers() -> dict[str, r.Handler]:
    out: dict[str, r.Handler] = {
        "AWS::Lambda::Function": r.Function(), "AWS::Lambda::Version": r.Version(),
        "AWS::Lambda::Alias": r.Alias(), "AWS::Lambda::Permission": r.Permission(),
        "AWS::Lambda::EventSourceMapping": r.EventSourceMapping(), "AWS::Lambda::LayerVersion": r.LayerVersion(),
        "AWS::Lambda::EventInvokeConfig": r.EventInvokeConfig(), "AWS::Lambda::Url": r.FunctionUrl(),
        "AWS::DynamoDB::Table": r.Table(), "AWS::SQS::Queue": r.Queue(), "AWS::SNS::Topic": r.Topic(),
        "AWS::SNS::Subscription": r.Subscription(), "AWS::S3::Bucket": r.Bucket(), "AWS::Events::Rule": r.Rule(),
        "AWS::Scheduler::Schedule": r.Schedule(),
        "AWS::Logs::LogGroup": r.LogGroup(), "AWS::Cognito::UserPool": r.UserPool(),
        "AWS::Cognito::UserPoolClient": r.UserPoolClient(),
        "AWS::IAM::Role": r.Recorded("role", "RoleName", "role"),
        "AWS::IAM::Policy": r.Recorded("policy", "PolicyName", None),
        "AWS::IAM::ManagedPolicy": r.Recorded("policy", "ManagedPolicyName", "policy"),
        "AWS::CloudFormation::WaitConditionHandle": r.Recorded("handle", None, None),
        "AWS::S3::BucketPolicy": r.Recorded("policy", None, None,
                                            "recorded; minilambda's S3 does not enforce bucket policies"),
    }
    out.update(api_handlers())
    return out


HANDLERS = _handlers()
