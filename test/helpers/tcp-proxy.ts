import { createServer, type Server, type Socket } from 'node:net'

/**
 * A TCP proxy in front of a real server (the database), for outages a test can cause:
 * `cut()` drops every connection and refuses new ones, as a database that went away does;
 * `restore()` lets connections through again on the same port.
 */
export interface TcpProxy {
  port: number
  cut: () => Promise<void>
  restore: () => Promise<void>
  close: () => Promise<void>
}

export async function tcpProxy (target: { host: string, port: number }): Promise<TcpProxy> {
  const open = new Set<Socket>()
  let server: Server | undefined
  let port = 0

  const listen = async (): Promise<void> => {
    server = createServer((client) => {
      const upstream = new (client.constructor as typeof Socket)()
      open.add(client)
      open.add(upstream)
      const drop = (): void => { client.destroy(); upstream.destroy(); open.delete(client); open.delete(upstream) }
      client.on('error', drop).on('close', drop)
      upstream.on('error', drop).on('close', drop)
      upstream.connect(target.port, target.host, () => { client.pipe(upstream).pipe(client) })
    })
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject)
      server!.listen(port, '127.0.0.1', () => { resolve() })
    })
    const address = server.address()
    port = typeof address === 'object' && address ? address.port : port
  }

  const stop = async (): Promise<void> => {
    const s = server
    server = undefined
    for (const socket of open) socket.destroy()
    open.clear()
    if (s) await new Promise<void>((resolve) => { s.close(() => { resolve() }) })
  }

  await listen()
  return {
    get port () { return port },
    cut: stop,
    restore: listen,
    close: stop
  }
}
