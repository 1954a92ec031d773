import t from 'tap'
import { htmlToText } from '../../plugin/host/text.ts'

t.test('htmlToText', async (t) => {
  t.test('strips tags, keeping the words of inline elements together', async (t) => {
    t.equal(htmlToText('<p>Reset your <b>pass</b>word in <a href="/me">Settings</a>.</p>'), 'Reset your password in Settings.')
  })

  t.test('block elements and line breaks separate words', async (t) => {
    t.equal(htmlToText('<h2>VPN</h2><p>Open the client</p><ul><li>Sign in</li><li>Connect</li></ul>Line<br>break'), 'VPN Open the client Sign in Connect Line break')
  })

  t.test('drops scripts, styles and comments with what they hold', async (t) => {
    t.equal(htmlToText('a<script>alert("x")</script> b<style>p { color: red }</style> c<!-- note --> d'), 'a b c d')
    t.equal(htmlToText('kept <!-- never closed'), 'kept')
  })

  t.test('decodes common named and numeric entities, once', async (t) => {
    t.equal(htmlToText('Tom &amp; Jerry&nbsp;&mdash; &lt;b&gt; &quot;hi&quot; &#39;x&#39; &#x2713; &hellip;'), 'Tom & Jerry — <b> "hi" \'x\' ✓ …')
    t.equal(htmlToText('&amp;lt;'), '&lt;', 'an escaped entity stays an entity, as text')
  })

  t.test('leaves unknown entities, bad code points and stray angle brackets as written', async (t) => {
    t.equal(htmlToText('&bogus; &#xD800; &#99999999; 3 < 4 > 2'), '&bogus; &#xD800; &#99999999; 3 < 4 > 2')
  })

  t.test('collapses whitespace, non-breaking spaces included, and trims', async (t) => {
    t.equal(htmlToText('  one\n\n\ttwo \u00a0 three  '), 'one two three')
    t.equal(htmlToText(''), '')
  })
})
