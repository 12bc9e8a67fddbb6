import QRCode from 'qrcode';

/** The QR code as a block of text a phone can scan from the terminal. */
export async function renderQr(value: string): Promise<string> {
  try {
    return await QRCode.toString(value, { type: 'terminal', small: true });
  } catch {
    return '(could not draw the QR code; open the URL above instead)';
  }
}
