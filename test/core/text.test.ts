/** src/core/text.ts: the one place provider text is made safe for terminals, Slack, Teams and HTML. */
import { describe, expect, it } from 'vitest';
import { hasUnsafeCharacters, htmlText, safeHttpUrl, slackLink, slackText, teamsText, visible, visibleDeep, visibleLines } from '../../src/core/text.js';

describe('visible', () => {
  it.each([
    ['\u001b[2J\u001b[H', '\\x1b[2J\\x1b[H'],
    ['\u001b]8;;http://evil.example\u0007click\u001b]8;;\u0007', '\\x1b]8;;http://evil.example\\x07click\\x1b]8;;\\x07'],
    ['bob\rroot', 'bob\\rroot'],
    ['alice\n[CRITICAL] forged', 'alice\\n[CRITICAL] forged'],
    ['tab\there', 'tab\\there'],
    ['nul\u0000del\u007fnel\u0085csi\u009b', 'nul\\x00del\\x7fnel\\x85csi\\x9b'],
    ['\u202eevil\u202c', '\\u202eevil\\u202c'],
    ['a\u2066b\u2067c\u2068d\u2069e\u200ef\u200fg\u061ch\u202a\u202b\u202d', 'a\\u2066b\\u2067c\\u2068d\\u2069e\\u200ef\\u200fg\\u061ch\\u202a\\u202b\\u202d'],
    ['line\u2028sep\u2029para', 'line\\u2028sep\\u2029para'],
  ])('shows %j as %j', (input, shown) => {
    expect(visible(input)).toBe(shown);
    expect(hasUnsafeCharacters(input)).toBe(true);
    expect(hasUnsafeCharacters(visible(input))).toBe(false);
    expect(visible(visible(input))).toBe(shown);
  });

  it('leaves ordinary text alone, non-Latin scripts and emoji included', () => {
    for (const s of ['alice', 'Zoë Ångström', 'ユーザー', 'مستخدم', 'DOMAIN\\user', '🙂 ok', 'a|b <c> & "d"']) {
      expect(visible(s)).toBe(s);
      expect(hasUnsafeCharacters(s)).toBe(false);
    }
  });

  it('visibleLines keeps the line breaks mfawatch composed and escapes the rest', () => {
    expect(visibleLines('first\u001b[2J\nsecond\r')).toBe('first\\x1b[2J\nsecond\\r');
  });

  it('visibleDeep escapes every string of a record and leaves other values and the input alone', () => {
    const input = { login: 'a\nb', n: 3, ok: true, none: null, list: ['\u202e', { deep: '\u001b' }] };
    expect(visibleDeep(input)).toEqual({ login: 'a\\nb', n: 3, ok: true, none: null, list: ['\\u202e', { deep: '\\x1b' }] });
    expect(input.login).toBe('a\nb');
    const row = Object.assign(Object.create(null) as Record<string, unknown>, { login: '\r' });
    expect(visibleDeep(row)).toEqual({ login: '\\r' });
    const when = new Date(0);
    expect(visibleDeep({ when }).when).toBe(when);
  });
});

describe('safeHttpUrl', () => {
  it.each([
    ['https://github.com/alice', 'https://github.com/alice'],
    ['http://ghe.example/alice?tab=1&x=2', 'http://ghe.example/alice?tab=1&x=2'],
    ['http://evil.example/> <!channel> <http://x.example', 'http://evil.example/%3E%20%3C!channel%3E%20%3Chttp://x.example'],
    ['HTTPS://GitHub.com/a b', 'https://github.com/a%20b'],
  ])('keeps the http(s) URL %j, re-serialised', (url, href) => {
    expect(safeHttpUrl(url)).toBe(href);
  });

  it.each(['javascript:alert(1)', 'JaVaScRiPt:alert(1)', ' javascript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'vbscript:x', 'file:///etc/passwd', 'ftp://example.com/', '/relative/path', '//evil.example/x', 'not a url', 'https://github.com@evil.example/', 'https://user:pass@example.com/', '', null, undefined])('drops %j', (url) => {
    expect(safeHttpUrl(url)).toBeNull();
  });
});

describe('Slack', () => {
  it('escapes &, < and > as Slack documents, and controls visibly', () => {
    expect(slackText('<!channel> & <@U123> <http://x.example|y>\nforged')).toBe('&lt;!channel&gt; &amp; &lt;@U123&gt; &lt;http://x.example|y&gt;\\nforged');
  });

  it('links only http(s) targets; the target cannot end early or hold a second link', () => {
    expect(slackLink('https://github.com/alice', 'alice <b>')).toBe('<https://github.com/alice|alice &lt;b&gt;>');
    expect(slackLink('javascript:alert(1)', 'alice')).toBe('alice');
    expect(slackLink(null, 'alice')).toBe('alice');
    const hostile = slackLink('http://evil.example/> <!channel> <http://x.example', 'alice');
    expect(hostile).toBe('<http://evil.example/%3E%20%3C!channel%3E%20%3Chttp://x.example|alice>');
    expect(hostile.match(/[<>]/g)).toEqual(['<', '>']);
    expect(slackLink('https://example.com/a|b?c=1&d=2', 'x')).toBe('<https://example.com/a%7Cb?c=1&amp;d=2|x>');
  });
});

describe('Teams markdown', () => {
  it('escapes the markdown a login could use to make a link, emphasis or a list', () => {
    expect(teamsText('[Reset your MFA](http://evil.example/phish)')).toBe('\\[Reset your MFA\\](http://evil.example/phish)');
    expect(teamsText('**bold** _it_ ~s~ `c` <http://x.example> &#91;')).toBe('\\*\\*bold\\*\\* \\_it\\_ \\~s\\~ \\`c\\` \\<http://x.example\\> \\&#91;');
    expect(teamsText('- item')).toBe('\\- item');
    expect(teamsText('1. item')).toBe('1\\. item');
    expect(teamsText('{{DATE(2017-02-14T06:08:39Z, SHORT)}}')).toBe('\\{\\{DATE(2017-02-14T06:08:39Z, SHORT)\\}\\}');
    expect(teamsText('a\\b\nc')).toBe('a\\\\b\\\\nc');
    expect(teamsText('alice (id 1, admin)')).toBe('alice (id 1, admin)');
  });
});

describe('HTML', () => {
  it('escapes markup and attribute quotes, and controls visibly', () => {
    expect(htmlText(`<a href="x" onclick='y'>&amp;</a>\u202e`)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;\\u202e');
  });
});
