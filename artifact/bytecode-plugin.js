'use strict';
// An osls plugin of this project: once serverless-python-requirements has added the
// dependencies to the artifact (the same hook, and this plugin comes after it in
// serverless.yml), compile_bytecode.py adds the bytecode of every module, for the runtime the
// functions run on. `osls package` and `osls deploy` both run it.
const path = require('path');
const { spawnSync } = require('child_process');

class CompileBytecode {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'after:package:createDeploymentArtifacts': () => this.compile() };
  }

  compile() {
    const service = this.serverless.service;
    const artifact = path.join(this.serverless.serviceDir, '.serverless', `${service.service}.zip`);
    const script = path.join(__dirname, 'compile_bytecode.py');
    const python = process.env.LISTMGR_PACKAGING_PYTHON || 'python3';
    const done = spawnSync(python, [script, artifact, '--runtime', service.provider.runtime], {
      stdio: 'inherit',
    });
    if (done.status !== 0) {
      throw new this.serverless.classes.Error(
        `compile_bytecode.py failed (${done.error || `exit ${done.status}`}): the artifact is incomplete`
      );
    }
  }
}

module.exports = CompileBytecode;
