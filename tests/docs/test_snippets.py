# Copyright: sre.oom contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every fenced block of the collection's Markdown is run or checked.

One test per block (the id is file:line and the kind), in file order; what each
kind gets is in snippets.py. Shell and Python blocks run, as written, one after
the other in one scratch copy of the checkout (so a page read top to bottom
works: `make report` before the commands that read its output), with the
environment of a plain shell: the venv's bin is taken off PATH and
ANSIBLE_CONFIG, VIRTUAL_ENV and make's own variables are removed. The copy's
`.venv` holds links to this checkout's venv, so nothing is installed.

Run with `make docs-tests` (or `.venv/bin/python -m pytest tests/docs`).
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import snippets  # noqa: E402  pylint: disable=wrong-import-position

ROOT = snippets.ROOT
VENV = os.path.join(ROOT, '.venv')
BIN = os.path.join(VENV, 'bin')
BLOCKS = snippets.all_blocks()

# Shell blocks marked no-run: at most this many (16 when this test was written;
# the EDA fleet set-up and the VM test bed add about six). Prefer a command that
# runs here; raise this only for a block that truly cannot (docs/DEVELOPING.md).
MAX_NOT_RUN = 22

HOW = ('\n\nFix the block in %s (line %d), or, for a shell block that cannot run on a test machine, '
       'add a marker to its info string: "```sh no-run:<reason>" with <reason> one of %s. '
       'The rules are in docs/DEVELOPING.md, "Snippets in the docs".')


def fail(block, what, output=''):
    pytest.fail('%s: %s\n--- block ---\n%s--- output ---\n%s%s' % (
        block.where, what, block.text, output[-6000:], HOW % (block.path, block.line, ', '.join(sorted(snippets.NO_RUN_REASONS)))),
        pytrace=False)


def ansible_problems(output):
    """Ansible's own warnings and errors in a command's output."""
    return [line for line in output.splitlines()
            if re.match(r'\s*(\[WARNING\]|\[DEPRECATION WARNING\]|\[ERROR\]|ERROR!|ERROR:)', line)]


def plain_env():
    """The environment of a plain shell: no venv, no make, no ANSIBLE_CONFIG."""
    venvs = {os.path.realpath(VENV), os.path.abspath(VENV)}
    env = {k: v for k, v in os.environ.items()
           if k not in ('VIRTUAL_ENV', 'ANSIBLE_CONFIG', 'PYTHONPATH', 'MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES')}
    env['PATH'] = os.pathsep.join(
        p for p in env.get('PATH', '').split(os.pathsep)
        if p and not any(os.path.realpath(p).startswith(v + os.sep) or os.path.realpath(p) == v for v in venvs))
    return env


def tool(name):
    path = os.path.join(BIN, name)
    if not os.access(path, os.X_OK):
        pytest.fail('%s is missing: run `make setup` first' % path, pytrace=False)
    return path


@pytest.fixture(scope='module')
def sandbox(tmp_path_factory):
    """A scratch copy of the checkout (what git would ship) after `make setup`."""
    tool('ansible-playbook')
    if os.environ.get('PYTEST_XDIST_WORKER'):
        # a later block may use what an earlier one made, in the one scratch copy
        pytest.fail('the blocks run in file order in one scratch copy: run them without -n (make docs-tests)',
                    pytrace=False)
    dest = str(tmp_path_factory.mktemp('docs') / 'sre-oom')
    os.makedirs(dest)
    try:
        out = subprocess.run(['git', '-C', ROOT, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
                             stdout=subprocess.PIPE, check=True).stdout.decode()
        files = [f for f in out.split('\0') if f and os.path.lexists(os.path.join(ROOT, f))]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for dirpath, dirnames, filenames in os.walk(ROOT):
            dirnames[:] = [d for d in dirnames if d not in ('.git', 'build', 'oom-report') and not d.startswith('.venv')]
            files += [os.path.relpath(os.path.join(dirpath, f), ROOT) for f in filenames]
    for f in files:
        os.makedirs(os.path.dirname(os.path.join(dest, f)), exist_ok=True)
        shutil.copy(os.path.join(ROOT, f), os.path.join(dest, f), follow_symlinks=False)
    # The copy's .venv: links to this checkout's venv, and a stamp of its own
    # newer than the copied requirements, so make installs nothing.
    venv = os.path.join(dest, '.venv')
    os.makedirs(venv)
    real = os.path.realpath(VENV)
    for entry in os.listdir(real):
        if not entry.startswith('.'):
            os.symlink(os.path.join(real, entry), os.path.join(venv, entry))
    with open(os.path.join(venv, '.stamp'), 'w'):
        pass
    # what `make setup` leaves (the .venv above and build/collections), so that
    # the first block to run finds the checkout as the docs say a reader has it
    code, out = run(['make', 'setup'], dest, plain_env())
    assert code == 0, out[-3000:]
    return dest


def run(argv, cwd, env=None, timeout=900):
    try:
        proc = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as e:
        return 124, 'timed out after %d s\n%s' % (timeout, e.output or '')
    return proc.returncode, proc.stdout


# ---------------------------------------------------------------- shell

SEPARATORS = {';', '&&', '||', '|', '&', '(', ')', ';;'}
REDIRECTS = {'>', '>>', '<', '2>', '2>&1', '&>', '>&'}
WRAPPERS = {'nohup', 'time', 'sudo', 'env', 'exec'}
BUILTINS = {'cd', 'export', 'set', 'unset', 'source', '.', 'echo', 'true', 'false', 'test', '[', 'read', 'wait'}
PRODUCED = ('bench/results/', 'bench/data/', 'oom-report/', 'build/', 'tests/output/')


def commands(text):
    """The simple commands of a shell block, as word lists (comments dropped)."""
    text = text.replace('\\\n', ' ')
    out = []
    for line in text.splitlines():
        lex = shlex.shlex(line, posix=True, punctuation_chars=True)
        lex.whitespace_split = True
        lex.commenters = '#'
        cmd = []
        try:
            words = list(lex)
        except ValueError:
            continue  # bash -n reports the quoting error
        skip_next = False
        for w in words:
            if skip_next:
                skip_next = False
                continue
            if w in SEPARATORS:
                if cmd:
                    out.append(cmd)
                cmd = []
            elif w in REDIRECTS or re.match(r'^\d?>+&?\d*$', w):
                skip_next = not re.search(r'&\d$', w)
            else:
                cmd.append(w)
        if cmd:
            out.append(cmd)
    return out


# Never executed by this test, whatever the block says: they change the machine
# (packages, services, containers, kernel settings, processes) or leave it.
# A block using one must be marked no-run:root (or fleet / long).
MACHINE_COMMANDS = {'apt-get', 'apt', 'dpkg', 'systemctl', 'docker', 'podman', 'molecule', 'sysctl', 'mount',
                    'umount', 'modprobe', 'reboot', 'shutdown', 'poweroff', 'useradd', 'usermod', 'kill', 'pkill',
                    'killall', 'ssh', 'scp', 'rsync', 'sudo', 'qemu-system-x86_64', 'ansible-rulebook'}
# The make targets a snippet may run here (quick, no root, nothing outside the checkout).
MAKE_RUNNABLE = {'report', 'setup', 'setup-dev', 'help'}


def refuse_to_run(block, sandbox):
    """Why an unmarked block must not be executed here, or None."""
    for cmd in commands(block.text):
        words = [w for w in cmd if not re.match(r'^[A-Za-z_][A-Za-z0-9_]*=', w)]
        while words and words[0] in WRAPPERS - {'sudo'}:
            words.pop(0)
        if not words:
            continue
        name = os.path.basename(words[0])
        if name in MACHINE_COMMANDS or words[0].startswith(('molecule/scripts/', 'scripts/vm', 'tests/eda/ensure', 'tests/report/ensure')):
            return '`%s` changes this machine or runs until stopped' % ' '.join(words[:3])
        bench = [w for w in words if re.match(r'^(\./)?bench/.*\.(py|sh)$', w)]
        if bench:
            return '`%s` is a benchmark (minutes, and it belongs beside its baseline)' % bench[0]
        if name in ('ansible', 'ansible-playbook'):
            args = words[1:]
            for flag in ('-i', '--inventory'):
                if flag in args[:-1] and not os.path.exists(os.path.join(sandbox, args[args.index(flag) + 1])):
                    return '`%s` names an inventory the checkout does not have (%s): it needs a fleet' % (
                        name, args[args.index(flag) + 1])
            changing = [a for a in args if re.search(r'sre\.oom\.oom_(policy|unit|score_adj)\b|playbooks/site\.yml', a)]
            if changing and not {'--check', '-C'} & set(args):
                return '`%s %s` without --check changes this machine' % (name, changing[0])
        if name == 'make':
            targets, args = [], iter(words[1:])
            for w in args:
                if w in ('-o', '-C', '-f', '-W', '-I', '--directory', '--file'):
                    next(args, None)
                elif not w.startswith('-') and '=' not in w:
                    targets.append(w)
            targets = targets or ['help']
            other = [t for t in targets if t not in MAKE_RUNNABLE]
            if other:
                return '`make %s` is not one of the quick targets a snippet may run here (%s)' % (
                    ' '.join(other), ', '.join(sorted(MAKE_RUNNABLE)))
    return None


def check_not_run(block, sandbox):
    """What can be known about a shell block without running it."""
    code, out = run(['bash', '-n', '-c', block.text], sandbox)
    if code:
        fail(block, 'bash -n: the block is not valid shell', out)
    env = plain_env()
    problems = []
    for cmd in commands(block.text):
        words = list(cmd)
        while words and (re.match(r'^[A-Za-z_][A-Za-z0-9_]*=', words[0]) or words[0] in WRAPPERS):
            words.pop(0)
        if not words or words[0] == 'export':
            continue
        first = words[0]
        if '/' in first:
            if not os.path.exists(os.path.join(sandbox, first)):
                problems.append('%s: no such file in the checkout' % first)
        elif first not in BUILTINS and not shutil.which(first, path=env['PATH']) \
                and not os.access(os.path.join(sandbox, '.venv', 'bin', first), os.X_OK):
            problems.append('%s: not a command here (neither on PATH nor in .venv/bin)' % first)
        for w in words[1:]:
            path = w.split('=', 1)[-1]
            top = path.split('/', 1)[0]
            if ('/' in path and '$' not in path and not path.startswith(('/', '~', '-')) and top
                    and os.path.exists(os.path.join(sandbox, top)) and not path.startswith(PRODUCED)
                    and not os.path.exists(os.path.join(sandbox, path))):
                problems.append('%s: no such file in the checkout' % path)
        if first == 'make':
            code, out = run(['make', '-n'] + words[1:], sandbox, env)
            if code:
                problems.append('`make -n %s` failed:\n%s' % (' '.join(words[1:]), out[-2000:]))
    if problems:
        fail(block, 'a block marked no-run must still name commands, targets and files that exist', '\n'.join(problems))


# ---------------------------------------------------------------- YAML

def role_specs():
    specs = {}
    for role in sorted(os.listdir(os.path.join(ROOT, 'roles'))):
        path = os.path.join(ROOT, 'roles', role, 'meta', 'argument_specs.yml')
        if os.path.isfile(path):
            with open(path, encoding='utf-8') as f:
                specs['sre.oom.' + role] = yaml.safe_load(f)['argument_specs']['main']['options']
    return specs


def validate_role_vars(block, role, params):
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
    specs = role_specs()
    if role not in specs:
        fail(block, 'no role %s in roles/ (or no meta/argument_specs.yml)' % role)
    concrete = {k: v for k, v in params.items() if '{{' not in json.dumps(v, default=str)}
    result = ArgumentSpecValidator(specs[role]).validate(concrete)
    if result.error_messages:
        fail(block, 'variables for %s do not pass its meta/argument_specs.yml' % role, '\n'.join(result.error_messages))


def check_playbook(block, plays, tmp_path):
    hosts = set()
    for play in plays:
        for name in re.split(r'[:,]', str(play.get('hosts', ''))):
            if name and '{' not in name and not any(c in name for c in '*!&~[]'):
                hosts.add(name.strip())
    inventory = {'all': {'hosts': {'localhost': {'ansible_connection': 'local'}},
                         'children': {h: {'hosts': {'localhost': None}} for h in sorted(hosts - {'all', 'localhost'})}}}
    (tmp_path / 'inventory.yml').write_text(yaml.safe_dump(inventory))
    (tmp_path / 'play.yml').write_text(block.text)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'))
    code, out = run([tool('ansible-playbook'), '--syntax-check', '-i', 'inventory.yml', 'play.yml'], str(tmp_path), env)
    if code or ansible_problems(out):
        fail(block, 'ansible-playbook --syntax-check did not pass cleanly', out)
    for play in plays:
        for entry in play.get('roles') or []:
            entry = {'role': entry} if isinstance(entry, str) else entry
            name = entry.get('role') or entry.get('name')
            if str(name).startswith('sre.oom.'):
                params = dict(entry.get('vars') or {})
                params.update({k: v for k, v in entry.items() if k.startswith('oom_')})
                validate_role_vars(block, name, params)


def check_role_vars(block, data):
    """A mapping of variables (group_vars): each sre.oom variable checked by its role's spec."""
    specs = role_specs()
    # A role's variables share a prefix (oom_kernel_, oom_services, ...): a key
    # with that prefix the spec lacks is a misspelling, not data.
    prefixes = {role: os.path.commonprefix(sorted(spec)) for role, spec in specs.items()}
    by_role = {}
    unknown = []
    for key, value in data.items():
        owner = [role for role, spec in specs.items() if key in spec]
        if owner:
            by_role.setdefault(owner[0], {})[key] = value
        elif any(len(prefix) > len('oom_') and str(key).startswith(prefix) for prefix in prefixes.values()):
            unknown.append(key)
    if unknown:
        fail(block, 'no role of the collection has the variable(s) %s' % ', '.join(unknown))
    for role, params in by_role.items():
        validate_role_vars(block, role, params)


# ---------------------------------------------------------------- the tests

@pytest.mark.parametrize('block', BLOCKS, ids=['%s-%s' % (b.where, b.kind or b.lang or 'no-language') for b in BLOCKS])
def test_block(block, sandbox, tmp_path):
    if block.kind is None:
        fail(block, 'unknown or missing language %r: give the fence one of %s (text for prose, output or pseudo-code)'
             % (block.lang, ', '.join(sorted(snippets.KINDS))))
    unknown = [m for m in block.markers if not re.match(r'^no-run:(%s)$' % '|'.join(snippets.NO_RUN_REASONS), m)]
    if unknown:
        fail(block, 'unknown marker(s) %s in the info string' % ' '.join(unknown))
    if block.no_run and block.kind != 'shell':
        fail(block, 'no-run is for shell blocks only')

    if block.kind == 'shell':
        if block.no_run:
            check_not_run(block, sandbox)
            return
        why = refuse_to_run(block, sandbox)
        if why:
            fail(block, 'not executed: %s. If that is right, mark the block (```sh no-run:root, no-run:fleet or no-run:long); '
                 'else rewrite it so that it runs here' % why)
        path = os.path.join(str(tmp_path), 'block.sh')
        with open(path, 'w') as f:
            f.write(block.text)
        code, out = run(['bash', '-e', '-o', 'pipefail', path], sandbox, plain_env())
        if code:
            fail(block, 'the commands failed (exit %d) when run as written from the top of a checkout' % code, out)
    elif block.kind == 'python':
        code, out = run([os.path.join(sandbox, '.venv', 'bin', 'python'), '-c', block.text], sandbox, plain_env())
        if code:
            fail(block, 'the Python failed (exit %d) when run from the top of a checkout, after the blocks before it' % code, out)
    elif block.kind == 'ansible.cfg':
        cfg = tmp_path / 'ansible.cfg'
        cfg.write_text(block.text)
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(block.text)
        except configparser.Error as e:
            fail(block, 'not an INI file', str(e))
        env = dict(os.environ, ANSIBLE_CONFIG=str(cfg))
        for argv in (['validate', '-t', 'all'], ['dump', '--only-changed', '-t', 'all']):
            code, out = run([tool('ansible-config')] + argv, str(tmp_path), env)
            if code or ansible_problems(out):
                fail(block, '`ansible-config %s` with ANSIBLE_CONFIG pointing at this block reports a problem '
                     '(comments must be on lines of their own)' % ' '.join(argv), out)
    elif block.kind == 'yaml':
        try:
            data = yaml.safe_load(block.text)
        except yaml.YAMLError as e:
            fail(block, 'not valid YAML', str(e))
        if isinstance(data, list) and data and all(isinstance(p, dict) and ('hosts' in p or 'import_playbook' in p) for p in data):
            check_playbook(block, data, tmp_path)
        elif isinstance(data, dict):
            check_role_vars(block, data)
    elif block.kind == 'json':
        try:
            json.loads(block.text)
        except ValueError as e:
            fail(block, 'not valid JSON', str(e))
    else:
        assert block.kind == 'text'


def test_every_block_accounted_for(capsys):
    """A summary of what was done with each block, and a short no-run list."""
    assert BLOCKS, 'no fenced block found: snippets.markdown_files() is broken'
    counts = {}
    for b in BLOCKS:
        key = 'shell, not run (%s)' % b.no_run if b.no_run else (b.kind or 'unknown')
        counts[key] = counts.get(key, 0) + 1
    not_run = [b for b in BLOCKS if b.no_run]
    with capsys.disabled():
        print('\n%d fenced blocks in %d files: %s' % (
            len(BLOCKS), len({b.path for b in BLOCKS}), ', '.join('%s %d' % kv for kv in sorted(counts.items()))))
        for b in not_run:
            print('  not run: %s (%s)' % (b.where, b.no_run))
    assert len(not_run) <= MAX_NOT_RUN, (
        '%d shell blocks are marked no-run, more than MAX_NOT_RUN = %d in tests/docs/test_snippets.py:\n%s\n'
        'Make the new block runnable here (a command against localhost, in check mode, or with a small input), '
        'or fold it into an existing no-run block; raise MAX_NOT_RUN only with a reason in the commit message.'
        % (len(not_run), MAX_NOT_RUN, '\n'.join('  %s (%s)' % (b.where, b.no_run) for b in not_run)))
