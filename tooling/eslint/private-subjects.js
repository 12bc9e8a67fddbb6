// A type-aware lint rule: an RxJS Subject stays private to the object that owns it. Others get an Observable
// (`subject.asObservable()`), so only the owner can call `next`, `error` or `complete`.
import { ESLintUtils } from '@typescript-eslint/utils';

const SubjectNames = new Set(['Subject', 'BehaviorSubject', 'ReplaySubject', 'AsyncSubject']);

/** True when the type is one of RxJS's subjects, or a class derived from one. */
function isSubject(type, seen = new Set()) {
  if (seen.has(type)) return false;
  seen.add(type);
  if (type.isUnion?.()) return type.types.some((t) => isSubject(t, seen));
  const symbol = type.getSymbol?.() ?? type.aliasSymbol;
  if (symbol && SubjectNames.has(symbol.getName())) {
    const file = symbol.declarations?.[0]?.getSourceFile().fileName ?? '';
    if (file.includes('/rxjs/')) return true;
  }
  const target = type.target ?? type;
  return (target.getBaseTypes?.() ?? []).some((base) => isSubject(base, seen));
}

export default {
  meta: {
    type: 'problem',
    docs: { description: 'RxJS subjects are private to their owner; expose an Observable instead' },
    messages: {
      exposed: '"{{name}}" is an RxJS {{kind}} visible outside its owner. Make it private and expose `.asObservable()`.',
    },
    schema: [],
  },
  create(context) {
    const services = ESLintUtils.getParserServices(context);
    const report = (node, name) => {
      const type = services.getTypeAtLocation(node);
      if (!isSubject(type)) return;
      const kind = (type.getSymbol?.() ?? type.aliasSymbol)?.getName() ?? 'Subject';
      context.report({ node, messageId: 'exposed', data: { name, kind } });
    };
    const visible = (member) => member.accessibility !== 'private' && member.key?.type !== 'PrivateIdentifier';
    const nameOf = (key) => (key?.type === 'Identifier' || key?.type === 'PrivateIdentifier' ? key.name : String(key?.value ?? '?'));
    return {
      PropertyDefinition(node) {
        if (visible(node)) report(node.key, nameOf(node.key));
      },
      MethodDefinition(node) {
        if (node.kind === 'get' && visible(node)) report(node.key, nameOf(node.key));
      },
      TSParameterProperty(node) {
        if (node.accessibility !== 'private') report(node.parameter, nameOf(node.parameter.type === 'Identifier' ? node.parameter : node.parameter.left));
      },
      'ExportNamedDeclaration > VariableDeclaration > VariableDeclarator'(node) {
        report(node.id, nameOf(node.id));
      },
    };
  },
};
