"""Deploying templates: `python -m minilambda deploy` (packaging a CodeUri folder) and the AWS
CLI's `aws cloudformation deploy` against `python -m minilambda serve`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from minilambda.cli import main
from minilambda.cloudformation import deploy

SAM_APP = """
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Greeting: {Type: String, Default: hello}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
      Environment: {Variables: {GREETING: !Ref Greeting}}
Outputs:
  FnName:
    Value: !Ref Fn
"""


@pytest.fixture
def app(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("import os\ndef handler(e, c):\n    return os.environ['GREETING']\n")
    (tmp_path / "template.yaml").write_text(SAM_APP)
    return tmp_path


@pytest.mark.process
def test_deploy_packages_code_uri_and_updates(vcloud, app):
    result = deploy(vcloud.client, str(app / "template.yaml"), stack_name="demo")
    assert result.status == "CREATE_COMPLETE" and result.changed
    lam = vcloud.client("lambda")
    assert lam.invoke(FunctionName=result.outputs["FnName"])["Payload"].read() == b'"hello"'
    buckets = [b["Name"] for b in vcloud.client("s3").list_buckets()["Buckets"]]
    assert buckets == ["minilambda-sam-packages-123456789012-us-east-1"]
    again = deploy(vcloud.client, str(app / "template.yaml"), stack_name="demo")
    assert not again.changed and again.status == "UNCHANGED"
    (app / "src" / "app.py").write_text("def handler(e, c):\n    return 'changed'\n")
    updated = deploy(vcloud.client, str(app / "template.yaml"), stack_name="demo", parameters={"Greeting": "hi"})
    assert updated.status == "UPDATE_COMPLETE"
    assert lam.invoke(FunctionName=result.outputs["FnName"])["Payload"].read() == b'"changed"'


def test_deploy_command_prints_progress_and_outputs(app, capsys):
    code = main(["deploy", str(app / "template.yaml"), "--no-serve", "--port", "0",
                 "--parameter-overrides", "Greeting=hey"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "CREATE_COMPLETE" in out and "AWS::Lambda::Function" in out
    assert f"Successfully created/updated stack - {app.name.replace('_', '-')}" in out
    assert "FnName" in out


@pytest.mark.process
def test_deploy_with_a_notebook_progress_bar(vcloud, app, capsys):
    result = deploy(vcloud.client, str(app / "template.yaml"), stack_name="bar", progress=True)
    assert result.status == "CREATE_COMPLETE"
    out, err = capsys.readouterr()
    assert out == "", "a notebook bar prints no event lines"
    total = f"{len(vcloud.client('cloudformation').list_stack_resources(StackName='bar')['StackResourceSummaries'])}"
    assert "deploying bar" in err and f"{total}/{total}" in err, err[-300:]  # tqdm.auto is tqdm outside Jupyter


def test_deploy_command_refuses_bad_input(app, capsys):
    assert main(["deploy", str(app / "missing.yaml"), "--no-serve"]) == 2
    assert main(["deploy", str(app / "template.yaml"), "--no-serve", "--parameter-overrides", "oops"]) == 2
    err = capsys.readouterr().err
    assert "no template file" in err and "KEY=VALUE" in err


@pytest.mark.slow
def test_aws_cli_cloudformation_deploy_against_serve(tmp_path):
    aws = shutil.which("aws") or os.path.join(os.path.dirname(sys.executable), "aws")
    if not os.path.exists(aws):
        pytest.skip("the AWS CLI is not installed (pip install awscli)")
    (tmp_path / "t.yaml").write_text("Resources:\n  Q: {Type: AWS::SQS::Queue}\nOutputs:\n  Url: {Value: !Ref Q}\n")
    serve = subprocess.Popen([sys.executable, "-m", "minilambda", "serve", "--port", "0"], stdout=subprocess.PIPE,
                             text=True)
    try:
        url = serve.stdout.readline().split()[-1]
        env = {**os.environ, "AWS_ACCESS_KEY_ID": "minilambda", "AWS_SECRET_ACCESS_KEY": "minilambda", "AWS_DEFAULT_REGION": "us-east-1"}
        cmd = [aws, "--endpoint-url", url, "cloudformation", "deploy", "--template-file", str(tmp_path / "t.yaml"),
               "--stack-name", "cli"]
        first = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        assert first.returncode == 0, first.stderr
        assert "Successfully created/updated stack - cli" in first.stdout
        second = subprocess.run(cmd + ["--no-fail-on-empty-changeset"], env=env, capture_output=True, text=True,
                                timeout=120)
        assert second.returncode == 0 and "No changes to deploy. Stack cli is up to date" in second.stdout
    finally:
        serve.terminate()
        serve.wait(timeout=30)


def test_presigned_and_anonymous_s3_requests_reach_s3_on_the_endpoint(vcloud):
    import urllib.error
    import urllib.request

    s3 = vcloud.client("s3")
    s3.create_bucket(Bucket="site")
    s3.put_object(Bucket="site", Key="index.html", Body=b"<h1>hi</h1>", ContentType="text/html")
    with urllib.request.urlopen(f"{vcloud.endpoint_url}/site/index.html", timeout=10) as resp:  # a browser
        assert resp.read() == b"<h1>hi</h1>" and resp.headers["Content-Type"] == "text/html"
    import boto3

    # signed with keys the Cloud knows (its own pair); an unknown key's URL is InvalidAccessKeyId
    stranger = boto3.session.Session(aws_access_key_id="ASIAEXAMPLEHANDLER", aws_secret_access_key="b").client(
        "s3", region_name="us-east-1", endpoint_url=vcloud.endpoint_url)
    refused = stranger.generate_presigned_url("put_object", Params={"Bucket": "site", "Key": "up.bin"}, ExpiresIn=60)
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(urllib.request.Request(refused, data=b"photo", method="PUT"), timeout=10)
    assert err.value.code == 403 and b"<Code>InvalidAccessKeyId</Code>" in err.value.read()
    handler_s3 = boto3.session.Session(aws_access_key_id="minilambda", aws_secret_access_key="minilambda").client(
        "s3", region_name="us-east-1", endpoint_url=vcloud.endpoint_url)
    url = handler_s3.generate_presigned_url("put_object", Params={"Bucket": "site", "Key": "up.bin"}, ExpiresIn=60)
    put = urllib.request.Request(url, data=b"photo", method="PUT", headers={"Content-Type": ""})  # signed as empty
    with urllib.request.urlopen(put, timeout=10) as resp:
        assert resp.status == 200
    assert s3.get_object(Bucket="site", Key="up.bin")["Body"].read() == b"photo"
