import path from 'node:path';

/**
 * Rules between the services of the main process (VS Code's `code-import-patterns` idea, issue 18 §5).
 * A service is a folder main/<service>/; its index.ts is its public face.
 *  - From outside its folder, a service is imported only through its index.ts ('../pki', never
 *    '../pki/certificate'); inside a folder, relative imports are free. This holds for the
 *    composition roots too (main/workstation.ts, main/index.ts) and for the front ends
 *    main/electron/ and main/cli/, which are folders like any other.
 *  - The isolated services (main/crypto, main/fhir) import only common/, Node and their libraries:
 *    no other part of main/, not even its root modules (main/log.ts, main/events.ts), except the
 *    leaves: plumbing folders (main/threads, the worker spawner) that are themselves held to
 *    common/ and Node only, so nothing else of main/ comes in through them.
 * Root modules of main/ (main/*.ts) are not services: anything in main/ may import them.
 * The import is resolved against the importing file, so the rule does not depend on how deep the
 * file sits in its folder. Type-only imports follow the same rules (a type is part of the face too).
 */
const INDEX = new Set(['', 'index', 'index.ts', 'index.js']);

/** @type {import('eslint').Rule.RuleModule} */
export default {
  meta: {
    type: 'problem',
    docs: { description: 'main/ services import each other only through their index.ts' },
    schema: [
      {
        type: 'object',
        properties: {
          root: { type: 'string' },
          isolated: { type: 'array', items: { type: 'string' } },
          leaves: { type: 'array', items: { type: 'string' } },
        },
        additionalProperties: false,
      },
    ],
    messages: {
      deep: "main/{{from}} imports main/{{to}} only through its index.ts: import '{{suggestion}}', not '{{spec}}'.",
      isolated:
        "main/{{from}} is self-contained: it imports only common/, Node and its libraries, not '{{spec}}' (main/{{target}}).",
    },
  },
  create(context) {
    const options = context.options[0] ?? {};
    const root = path.resolve(context.cwd, options.root ?? 'main');
    const leaves = new Set(options.leaves ?? []);
    const isolated = new Set([...(options.isolated ?? []), ...leaves]);
    const file = path.resolve(context.cwd, context.filename);
    const fromRel = path.relative(root, file);
    if (fromRel.startsWith('..') || path.isAbsolute(fromRel)) return {};
    const fromParts = fromRel.split(path.sep);
    // A root module (main/workstation.ts) belongs to no service.
    const from = fromParts.length > 1 ? fromParts[0] : null;

    function check(node, source) {
      const spec = source && typeof source.value === 'string' ? source.value : null;
      if (!spec || !spec.startsWith('.')) return;
      const target = path.relative(root, path.resolve(path.dirname(file), spec));
      if (target.startsWith('..') || path.isAbsolute(target)) return; // common/, outside main/
      const parts = target.split(path.sep);
      const to = parts.length > 1 ? parts[0] : INDEX.has(parts[0]) ? null : parts[0];
      // parts.length === 1: main/<name> itself: a service folder (its index) or a root module.
      if (from !== null && to === from && parts.length > 1) return; // inside the folder: free
      if (from !== null && isolated.has(from)) {
        if (to === from) return;
        if (to === null || !leaves.has(to)) {
          context.report({ node: source, messageId: 'isolated', data: { from, spec, target: parts.join('/') } });
          return;
        }
        // A leaf: through its index, like any service.
      }
      if (parts.length === 1) return; // a service through its folder, or a root module
      const rest = parts.slice(1).join('/');
      if (INDEX.has(rest)) return;
      const base = path.relative(path.dirname(file), path.join(root, parts[0])).split(path.sep).join('/');
      const suggestion = base.startsWith('.') ? base : `./${base}`;
      context.report({
        node: source,
        messageId: 'deep',
        data: { from: from ?? fromRel, to: parts[0], spec, suggestion },
      });
    }

    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => (node.source.type === 'Literal' ? check(node, node.source) : undefined),
    };
  },
};
