'use strict';
// An osls plugin of this project: once serverless-python-requirements has added the
// dependencies to an artifact (the same hooks, and this plugin comes after it in
// serverless.yml), compile_bytecode.py adds the bytecode of every module, for the runtime the
// functions run on. `osls package`, `osls deploy` and `osls deploy function` all run it.
const path = require('path');
const { spawnSync } = require('child_process');

class CompileBytecode {
  constructor(serverless, options) {
    this.serverless = serverless;
    this.options = options || {};
    this.hooks = {
      'after:package:createDeploymentArtifacts': () =>
        this.compile(path.join(this.serverless.serviceDir, '.serverless', `${serverless.service.service}.zip`)),
      // `deploy function` zips that one function as <function>.zip and deploys it.
      'after:deploy:function:packageFunction': () =>
        this.compile(this.serverless.service.getFunction(this.options.function).package.artifact),
    };
  }

  compile(artifact) {
    const script = path.join(__dirname, 'compile_bytecode.py');
    const python = process.env.LISTMGR_PACKAGING_PYTHON || 'python3';
    const runtime = this.serverless.service.provider.runtime;
    const done = spawnSync(python, [script, artifact, '--runtime', runtime], { stdio: 'inherit' });
    if (done.status !== 0) {
      throw new this.serverless.classes.Error(
        `compile_bytecode.py failed (${done.error || `exit ${done.status}`}): ${artifact} is incomplete`
      );
    }
  }
}

module.exports = CompileBytecode;
