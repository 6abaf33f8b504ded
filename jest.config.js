// One Jest run over every project (libs and apps); `--selectProjects <name>` runs one.
const fs = require('node:fs');
const path = require('node:path');
const preset = require('./jest.preset');

const projects = ['libs', 'apps', 'tools']
  .filter((dir) => fs.existsSync(path.join(__dirname, dir)))
  .flatMap((dir) =>
    fs
      .readdirSync(path.join(__dirname, dir), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(__dirname, dir, entry.name, 'project.json')))
      .map((entry) => ({
        ...preset,
        displayName: entry.name,
        rootDir: path.join(__dirname, dir, entry.name),
        testMatch: ['<rootDir>/**/*.spec.ts'],
      })),
  );

module.exports = { projects, testTimeout: 60000 };
