"""CloudFormation for the local Cloud: templates (with the SAM transform) become stacks of the
Cloud's own resources.

``cloud.client("cloudformation")`` is a real botocore client (also through ``serve``, so
``aws cloudformation deploy`` works); ``deploy(cloud, "template.yaml")`` packages local code
folders and creates or updates a stack, as ``sam deploy`` does.

What the engine supports: intrinsic functions (Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::If,
Fn::Select, Fn::Split, Fn::ImportValue, Fn::FindInMap, Fn::GetAZs, Fn::Base64) and condition
functions, pseudo parameters, parameters with constraints, conditions, outputs and exports,
DependsOn, DeletionPolicy Retain, dependency order, rollback, updates (in place or by
replacement) and change sets; the resource types in ``engine.HANDLERS``. It refuses other
resource types (the stack fails naming them), other transforms and macros, nested stacks,
custom resources, TemplateURL, stack policies, drift detection and StackSets. IAM resources
are recorded but IAM is not enforced.
"""

from __future__ import annotations

from .api import CloudFormationApi
from .deploy import deploy, package_template
from .engine import Engine

__all__ = ["CloudFormationApi", "Engine", "deploy", "package_template"]
