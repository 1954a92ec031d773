import t from 'tap'
import { htmlToText } from '../../plugin/host/text.ts'

// An article body the host keeps as HTML reaches customers and agents as plain text
// (docs/hosts.md#knowledge-and-audience).

t.test('htmlToText: elements go, their text stays', async (t) => {
  t.equal(htmlToText('<p>Open <b>Settings</b> &gt; <a href="/x">Accounts</a>.</p>'), 'Open Settings > Accounts.')
  t.equal(htmlToText('<div class="x">One<br>Two<br/>Three</div>'), 'One\nTwo\nThree')
  t.equal(htmlToText('<p>First.</p>\n\n<p>Second.</p>'), 'First.\n\nSecond.', 'paragraphs stay apart')
  t.equal(htmlToText('<ol><li>Install</li><li>Sign in</li></ol>'), 'Install\nSign in')
  t.equal(htmlToText('<IMG SRC=x onerror=alert(1)>Tip'), 'Tip', 'upper-case tags too')
})

t.test('htmlToText: scripts, styles and comments are not text', async (t) => {
  t.equal(htmlToText('<style>p { color: red }</style><p>Hi</p><script>alert("x")</script>'), 'Hi')
  t.equal(htmlToText('Before<!-- a <b>comment</b> -->After'), 'Before After')
  t.equal(htmlToText('Left<!-- never closed <script>'), 'Left')
  t.equal(htmlToText('<![CDATA[kept]]> text'), 'kept text')
})

t.test('htmlToText: entities are decoded once; the result holds no markup', async (t) => {
  t.equal(htmlToText('Q&amp;A &quot;quoted&quot; &#39;single&#39; &#x263A; &copy; a&nbsp;b'), 'Q&A "quoted" \'single\' ☺ © a b')
  t.equal(htmlToText('&amp;lt;b&amp;gt;'), '&lt;b&gt;', 'decoded once, not twice')
  t.equal(htmlToText('&lt;script&gt;alert(1)&lt;/script&gt;'), '<script>alert(1)</script>', 'an escaped tag is text, as it was on the host\'s page')
  t.equal(htmlToText('bad &#0; &#xD800; &#99999999; code'), 'bad code')
  t.equal(htmlToText('AT&T and &unknown; stay'), 'AT&T and &unknown; stay')
})

t.test('htmlToText: plain text comes back as it was, apart from spacing', async (t) => {
  t.equal(htmlToText('If a < b and c > d, press Enter.'), 'If a < b and c > d, press Enter.')
  t.equal(htmlToText('Line one\n\n\n  Line two   with   spaces  \n'), 'Line one\n\nLine two with spaces')
  t.equal(htmlToText('Windows\r\nlines\r\n\r\nkept\u0007'), 'Windows\nlines\n\nkept', 'CRLF is a new line; control characters go')
  t.equal(htmlToText(''), '')
})
